"""URLs of the posts: / lists them, /posts/<slug>/ shows one."""

from django.urls import path

from posts.views import PostDetailView, PostListView

app_name = "posts"

urlpatterns = [
    path("", PostListView.as_view(), name="list"),
    path("posts/<slug:slug>/", PostDetailView.as_view(), name="detail"),
]
