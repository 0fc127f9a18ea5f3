CREATE TABLE `holds` (
	`email` text NOT NULL,
	`group_name` text NOT NULL,
	`since` text NOT NULL,
	PRIMARY KEY(`email`, `group_name`)
);
--> statement-breakpoint
ALTER TABLE `changes` ADD `evidence` text;