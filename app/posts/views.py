"""The list of posts, newest first, and one post."""

from django.views.generic import DetailView, ListView

from posts.models import Post


class PostListView(ListView):
    model = Post
    ordering = ("-published_at", "-pk")
    context_object_name = "posts"
    paginate_by = 20
    template_name = "posts/post_list.html"


class PostDetailView(DetailView):
    model = Post
    context_object_name = "post"
    template_name = "posts/post_detail.html"
