"""Source documents: the registry's files confined and read, web pages and PDFs turned into text, quotes found."""
