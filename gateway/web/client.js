// Placeholder: the real client.js replaces this file.
