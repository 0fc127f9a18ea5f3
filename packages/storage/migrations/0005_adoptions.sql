CREATE TABLE `adoptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`email` text NOT NULL,
	`attributes` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `adoptions_at_idx` ON `adoptions` (`at`,`id`);--> statement-breakpoint
CREATE INDEX `adoptions_email_idx` ON `adoptions` (`email`,`id`);