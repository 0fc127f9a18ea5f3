CREATE TABLE `notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`msg_id` text NOT NULL,
	`received_at` text NOT NULL,
	`name` text NOT NULL,
	`template_id` text NOT NULL,
	`kind` text NOT NULL,
	`subject_user_id` text,
	`subject_username` text,
	`subject_email` text,
	`details` text,
	`outcome` text NOT NULL,
	`run_id` text,
	`note` text,
	`handled_at` text,
	`confirmed_at` text,
	CONSTRAINT "notifications_kind_check" CHECK("notifications"."kind" IN ('user_created', 'user_suspended', 'user_activated', 'user_deleted', 'workspace_created', 'workspace_updated', 'other')),
	CONSTRAINT "notifications_outcome_check" CHECK("notifications"."outcome" IN ('waiting', 'run', 'duplicate', 'ignored'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_msg_idx` ON `notifications` (`msg_id`);--> statement-breakpoint
CREATE INDEX `notifications_outcome_idx` ON `notifications` (`outcome`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_run_idx` ON `notifications` (`run_id`,`id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`status` text NOT NULL,
	`dry_run` integer NOT NULL,
	`trigger` text NOT NULL,
	`scoped` integer NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`error` text,
	`counts` text NOT NULL,
	`source_count` integer,
	CONSTRAINT "runs_status_check" CHECK("__new_runs"."status" IN ('running', 'succeeded', 'partial', 'failed', 'halted', 'interrupted')),
	CONSTRAINT "runs_trigger_check" CHECK("__new_runs"."trigger" IN ('cli', 'api', 'schedule', 'console', 'hook', 'status'))
);
--> statement-breakpoint
INSERT INTO `__new_runs`("id", "status", "dry_run", "trigger", "scoped", "started_at", "finished_at", "error", "counts", "source_count") SELECT "id", "status", "dry_run", "trigger", "scoped", "started_at", "finished_at", "error", "counts", "source_count" FROM `runs`;--> statement-breakpoint
DROP TABLE `runs`;--> statement-breakpoint
ALTER TABLE `__new_runs` RENAME TO `runs`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `runs_status_idx` ON `runs` (`status`,`id`);