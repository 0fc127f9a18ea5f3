CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`at` text NOT NULL,
	`target` text NOT NULL,
	`event` text NOT NULL,
	`outcome` text NOT NULL,
	`attempts` integer NOT NULL,
	`http_status` integer,
	`error` text,
	CONSTRAINT "deliveries_outcome_check" CHECK("deliveries"."outcome" IN ('delivered', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `deliveries_run_idx` ON `deliveries` (`run_id`,`id`);