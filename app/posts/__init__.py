"""The blog's posts: model, admin, pages and the create_post command."""
