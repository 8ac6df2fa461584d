"""Posts in the Django admin."""

from django.contrib import admin

from posts.models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "published_at")
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}  # noqa: RUF012 - Django's documented form
    date_hierarchy = "published_at"
