"""Voting: ballots, votes and receipts (DESIGN §3, §4 "Votes")."""
