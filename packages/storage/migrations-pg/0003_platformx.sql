CREATE TABLE "events" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"timestamp" text NOT NULL,
	"metadata" jsonb NOT NULL,
	"source" text NOT NULL,
	"subject_user_id" text,
	"notification_id" text,
	"run_id" text,
	"outcome" text NOT NULL,
	"error" jsonb,
	"attempts" integer NOT NULL,
	"recorded_at" text NOT NULL,
	"claimed_at" text,
	"claimed_by" text,
	"sent_at" text,
	CONSTRAINT "events_source_check" CHECK ("events"."source" IN ('webhook', 'pass')),
	CONSTRAINT "events_outcome_check" CHECK ("events"."outcome" IN ('pending', 'sent', 'rejected', 'invalid', 'unknown'))
);
--> statement-breakpoint
CREATE TABLE "request_budget" (
	"name" text PRIMARY KEY NOT NULL,
	"next_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "events_key_idx" ON "events" USING btree ("key");--> statement-breakpoint
CREATE INDEX "events_outcome_idx" ON "events" USING btree ("outcome","id");--> statement-breakpoint
CREATE INDEX "events_subject_idx" ON "events" USING btree ("subject_user_id","id");--> statement-breakpoint
CREATE INDEX "events_email_idx" ON "events" USING btree ("email","id");--> statement-breakpoint
CREATE INDEX "events_recorded_idx" ON "events" USING btree ("recorded_at","id");