"""The VIP club's content, events and member area: who a member is for targeting, their
card, profile and data, articles and events, the desk's member page, the member's pages,
the staff's pages and the club's JSON API."""
