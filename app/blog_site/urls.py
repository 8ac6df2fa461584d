"""URLs of the blog: the admin and the posts. /healthz is answered by HealthCheckMiddleware."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("posts.urls")),
]
