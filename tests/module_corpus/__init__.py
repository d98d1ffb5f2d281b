"""Small user modules in the styles of public repositories, with hand-computed costs."""
