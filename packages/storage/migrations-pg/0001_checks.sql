ALTER TABLE "changes" ADD CONSTRAINT "changes_kind_check" CHECK ("changes"."kind" IN ('attributes', 'properties'));--> statement-breakpoint
ALTER TABLE "changes" ADD CONSTRAINT "changes_outcome_check" CHECK ("changes"."outcome" IN ('applied', 'rejected', 'unmatched', 'planned', 'invalid', 'pending', 'skipped'));--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_outcome_check" CHECK ("deliveries"."outcome" IN ('delivered', 'failed'));--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_status_check" CHECK ("runs"."status" IN ('running', 'succeeded', 'partial', 'failed', 'halted', 'interrupted'));--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_trigger_check" CHECK ("runs"."trigger" IN ('cli', 'api', 'schedule'));