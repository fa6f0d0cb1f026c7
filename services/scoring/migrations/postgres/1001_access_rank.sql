-- Market access is ranked within each industry × region cell: standalone is the score
-- without the market-access part (× 10^9), the key the cell is ranked by (then client_id);
-- access_rank is the rank the stored score was computed with. A stored rank that differs
-- from the cell's current order marks a score to recompute. Scores stored before this
-- migration rank with standalone 0 until they are rescored (a portfolio run rescores all).
ALTER TABLE value_scores ADD COLUMN standalone BIGINT NOT NULL DEFAULT 0;
ALTER TABLE value_scores ADD COLUMN access_rank BIGINT NOT NULL DEFAULT 0;
CREATE INDEX value_scores_by_standalone ON value_scores (access, standalone, client_id);
