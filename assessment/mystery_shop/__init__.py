"""Mystery-shop inspections (明查暗访): checklist templates, visits with photo evidence, covert
secrecy, publication into score facts, rectification tasks, reports and the API."""
