CREATE TABLE `changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`at` text NOT NULL,
	`email` text NOT NULL,
	`coder_user_id` text,
	`kind` text NOT NULL,
	`action` text NOT NULL,
	`before` text,
	`after` text,
	`observed` text,
	`outcome` text NOT NULL,
	`error` text,
	`attempts` integer NOT NULL,
	`note` text
);
--> statement-breakpoint
CREATE INDEX `changes_email_idx` ON `changes` (`email`,`id`);--> statement-breakpoint
CREATE INDEX `changes_run_idx` ON `changes` (`run_id`,`id`);--> statement-breakpoint
CREATE INDEX `changes_outcome_idx` ON `changes` (`outcome`,`id`);--> statement-breakpoint
CREATE INDEX `changes_at_idx` ON `changes` (`at`,`id`);--> statement-breakpoint
CREATE TABLE `lease` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`status` text NOT NULL,
	`dry_run` integer NOT NULL,
	`trigger` text NOT NULL,
	`scoped` integer NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`error` text,
	`counts` text NOT NULL,
	`source_count` integer
);
--> statement-breakpoint
CREATE INDEX `runs_status_idx` ON `runs` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `user_state` (
	`email` text PRIMARY KEY NOT NULL,
	`coder_user_id` text,
	`attributes` text NOT NULL,
	`properties` text NOT NULL,
	`updated_at` text NOT NULL,
	`unmatched_at` text,
	`unmatched_attributes` text
);
