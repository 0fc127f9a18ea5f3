CREATE TABLE "notifications" (
	"id" serial PRIMARY KEY NOT NULL,
	"msg_id" text NOT NULL,
	"received_at" text NOT NULL,
	"name" text NOT NULL,
	"template_id" text NOT NULL,
	"kind" text NOT NULL,
	"subject_user_id" text,
	"subject_username" text,
	"subject_email" text,
	"details" jsonb,
	"outcome" text NOT NULL,
	"run_id" text,
	"note" text,
	"handled_at" text,
	"confirmed_at" text,
	CONSTRAINT "notifications_kind_check" CHECK ("notifications"."kind" IN ('user_created', 'user_suspended', 'user_activated', 'user_deleted', 'workspace_created', 'workspace_updated', 'other')),
	CONSTRAINT "notifications_outcome_check" CHECK ("notifications"."outcome" IN ('waiting', 'run', 'duplicate', 'ignored'))
);
--> statement-breakpoint
ALTER TABLE "runs" DROP CONSTRAINT "runs_trigger_check";--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_msg_idx" ON "notifications" USING btree ("msg_id");--> statement-breakpoint
CREATE INDEX "notifications_outcome_idx" ON "notifications" USING btree ("outcome","id");--> statement-breakpoint
CREATE INDEX "notifications_run_idx" ON "notifications" USING btree ("run_id","id");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_trigger_check" CHECK ("runs"."trigger" IN ('cli', 'api', 'schedule', 'console', 'hook', 'status'));