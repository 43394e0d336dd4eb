-- Escalation steps taken for a referral whose answer is overdue (once each).
CREATE TABLE referral_escalations (
    referral_id TEXT NOT NULL REFERENCES referrals(id),
    step TEXT NOT NULL,
    taken_on TEXT NOT NULL,
    PRIMARY KEY (referral_id, step)
);
