"""supportbot: a self-hosted support assistant that answers from your own documents."""
