"""Members of a workspace: the team list, invitations and the admin's member changes."""
