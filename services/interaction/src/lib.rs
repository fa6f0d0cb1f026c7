//! Interaction and channels service: interactions, cases, consent, content, account plans, next best actions.
