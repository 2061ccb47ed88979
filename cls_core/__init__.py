"""headline-lens core: THUCNews data, the networks, training, evaluation and inspection."""
