PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_changes` (
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
	`note` text,
	CONSTRAINT "changes_kind_check" CHECK("__new_changes"."kind" IN ('attributes', 'properties')),
	CONSTRAINT "changes_outcome_check" CHECK("__new_changes"."outcome" IN ('applied', 'rejected', 'unmatched', 'planned', 'invalid', 'pending', 'skipped'))
);
--> statement-breakpoint
INSERT INTO `__new_changes`("id", "run_id", "at", "email", "coder_user_id", "kind", "action", "before", "after", "observed", "outcome", "error", "attempts", "note") SELECT "id", "run_id", "at", "email", "coder_user_id", "kind", "action", "before", "after", "observed", "outcome", "error", "attempts", "note" FROM `changes`;--> statement-breakpoint
DROP TABLE `changes`;--> statement-breakpoint
ALTER TABLE `__new_changes` RENAME TO `changes`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `changes_email_idx` ON `changes` (`email`,`id`);--> statement-breakpoint
CREATE INDEX `changes_run_idx` ON `changes` (`run_id`,`id`);--> statement-breakpoint
CREATE INDEX `changes_run_outcome_idx` ON `changes` (`run_id`,`outcome`,`id`);--> statement-breakpoint
CREATE INDEX `changes_outcome_idx` ON `changes` (`outcome`,`id`);--> statement-breakpoint
CREATE INDEX `changes_at_idx` ON `changes` (`at`,`id`);--> statement-breakpoint
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
	CONSTRAINT "runs_trigger_check" CHECK("__new_runs"."trigger" IN ('cli', 'api', 'schedule'))
);
--> statement-breakpoint
INSERT INTO `__new_runs`("id", "status", "dry_run", "trigger", "scoped", "started_at", "finished_at", "error", "counts", "source_count") SELECT "id", "status", "dry_run", "trigger", "scoped", "started_at", "finished_at", "error", "counts", "source_count" FROM `runs`;--> statement-breakpoint
DROP TABLE `runs`;--> statement-breakpoint
ALTER TABLE `__new_runs` RENAME TO `runs`;--> statement-breakpoint
CREATE INDEX `runs_status_idx` ON `runs` (`status`,`id`);