"""Reading the YAML inputs: positions kept, limits and schemas enforced, model objects out."""
