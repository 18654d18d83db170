// Every audit append is keyed with AUDIT_KEY (docs/security.md rule 20), read from the environment like
// in production. Test files that build the full configuration set their own; everyone else gets
// this fixed, test-only key.
process.env.AUDIT_KEY ||= Buffer.from('tests-only-audit-chain-key-32byt').toString('base64');
