CREATE TABLE "adoptions" (
	"id" serial PRIMARY KEY NOT NULL,
	"at" text NOT NULL,
	"email" text NOT NULL,
	"attributes" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "changes" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"at" text NOT NULL,
	"email" text NOT NULL,
	"coder_user_id" text,
	"kind" text NOT NULL,
	"action" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"observed" jsonb,
	"outcome" text NOT NULL,
	"error" jsonb,
	"attempts" integer NOT NULL,
	"note" text,
	"evidence" jsonb
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"at" text NOT NULL,
	"target" text NOT NULL,
	"event" text NOT NULL,
	"outcome" text NOT NULL,
	"attempts" integer NOT NULL,
	"http_status" integer,
	"error" jsonb
);
--> statement-breakpoint
CREATE TABLE "holds" (
	"email" text NOT NULL,
	"group_name" text NOT NULL,
	"since" text NOT NULL,
	CONSTRAINT "holds_email_group_name_pk" PRIMARY KEY("email","group_name")
);
--> statement-breakpoint
CREATE TABLE "lease" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"dry_run" boolean NOT NULL,
	"trigger" text NOT NULL,
	"scoped" boolean NOT NULL,
	"started_at" text NOT NULL,
	"finished_at" text,
	"error" jsonb,
	"counts" jsonb NOT NULL,
	"source_count" integer
);
--> statement-breakpoint
CREATE TABLE "user_state" (
	"email" text PRIMARY KEY NOT NULL,
	"coder_user_id" text,
	"attributes" jsonb NOT NULL,
	"properties" jsonb NOT NULL,
	"updated_at" text NOT NULL,
	"unmatched_at" text,
	"unmatched_attributes" jsonb
);
--> statement-breakpoint
CREATE INDEX "adoptions_at_idx" ON "adoptions" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "adoptions_email_idx" ON "adoptions" USING btree ("email","id");--> statement-breakpoint
CREATE INDEX "changes_email_idx" ON "changes" USING btree ("email","id");--> statement-breakpoint
CREATE INDEX "changes_run_idx" ON "changes" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "changes_run_outcome_idx" ON "changes" USING btree ("run_id","outcome","id");--> statement-breakpoint
CREATE INDEX "changes_outcome_idx" ON "changes" USING btree ("outcome","id");--> statement-breakpoint
CREATE INDEX "changes_at_idx" ON "changes" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "deliveries_run_idx" ON "deliveries" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status","id");