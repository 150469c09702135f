"""Connected Instagram accounts: listing, Instagram Login, pasted tokens, disconnect."""
