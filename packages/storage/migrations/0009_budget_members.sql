CREATE TABLE `budget_members` (
	`name` text NOT NULL,
	`holder` text NOT NULL,
	`active_from` integer NOT NULL,
	`seen_at` integer NOT NULL,
	`left_at` integer,
	PRIMARY KEY(`name`, `holder`)
);
--> statement-breakpoint
DROP TABLE `request_budget`;