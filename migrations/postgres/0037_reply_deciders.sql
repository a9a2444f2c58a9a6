-- Who set a reply's severity: `rules` (the rule table alone), `model` (the optional
-- model rated it higher) or `both` (they agreed). Null for replies classified before.
alter table interactions add column classified_by text;
