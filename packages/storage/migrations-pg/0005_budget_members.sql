CREATE TABLE "budget_members" (
	"name" text NOT NULL,
	"holder" text NOT NULL,
	"active_from" bigint NOT NULL,
	"seen_at" bigint NOT NULL,
	"left_at" bigint,
	CONSTRAINT "budget_members_name_holder_pk" PRIMARY KEY("name","holder")
);
--> statement-breakpoint
DROP TABLE "request_budget" CASCADE;