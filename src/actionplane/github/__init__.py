"""Pull-request comments: escaping, sticky plan comments and the GitHub REST client."""
