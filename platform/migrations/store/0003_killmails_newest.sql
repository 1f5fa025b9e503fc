-- The recent killmails page (GET /api/killmails/recent) reads killmails
-- newest first and resumes after a (time, id) cursor: without this index
-- each page would sort the whole table.
CREATE INDEX killmails_newest ON killmails (killmail_time, killmail_id);
