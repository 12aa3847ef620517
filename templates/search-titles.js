/* One shard of the title index, for the search page opened from disk (file://). */
(window.newsgenTitles = window.newsgenTitles || []).push(...{{ search_records(articles) | tojson }});
