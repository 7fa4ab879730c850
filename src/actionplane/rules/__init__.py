"""CEL routing rules: backends, compilation, decisions, static analysis, tests.

Entry points: `engine.RuleSet` (compile a workspace, `decide` requests),
`lint.analyze_rules` (static warnings), `testing.run_rule_tests` (rule tests)
and `backend.get_backend`. The CEL engines load only when a backend is created.
"""
