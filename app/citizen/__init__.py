"""The citizen's side: sign in, see one's record, who read it, and manage consents."""
