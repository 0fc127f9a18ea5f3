CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`timestamp` text NOT NULL,
	`metadata` text NOT NULL,
	`source` text NOT NULL,
	`subject_user_id` text,
	`notification_id` text,
	`run_id` text,
	`outcome` text NOT NULL,
	`error` text,
	`attempts` integer NOT NULL,
	`recorded_at` text NOT NULL,
	`claimed_at` text,
	`claimed_by` text,
	`sent_at` text,
	CONSTRAINT "events_source_check" CHECK("events"."source" IN ('webhook', 'pass')),
	CONSTRAINT "events_outcome_check" CHECK("events"."outcome" IN ('pending', 'sent', 'rejected', 'invalid', 'unknown'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_key_idx` ON `events` (`key`);--> statement-breakpoint
CREATE INDEX `events_outcome_idx` ON `events` (`outcome`,`id`);--> statement-breakpoint
CREATE INDEX `events_subject_idx` ON `events` (`subject_user_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_email_idx` ON `events` (`email`,`id`);--> statement-breakpoint
CREATE INDEX `events_recorded_idx` ON `events` (`recorded_at`,`id`);--> statement-breakpoint
CREATE TABLE `request_budget` (
	`name` text PRIMARY KEY NOT NULL,
	`next_at` integer NOT NULL
);
