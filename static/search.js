/* The search page. Served over HTTP it merges the Pagefind index shards and searches the
   full text; opened from disk (file://), where browsers refuse Pagefind's modules and
   WebAssembly, it loads the small title index with plain script tags and searches that.
   Every string it shows comes from the page (data-text-*), in the site's language. */
(function () {
  "use strict";

  var box = document.getElementById("search");
  if (!box) {
    return;
  }
  var form = box.querySelector("form");
  var input = document.getElementById("search-q");
  var statusLine = document.getElementById("search-status");
  var modeLine = document.getElementById("search-mode");
  var list = document.getElementById("search-results");
  var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-filter]"));
  var texts = box.dataset;
  var root = texts.root || "";
  var pageLanguage = document.documentElement.lang;
  var LIMIT = 50;

  function split(value) {
    return (value || "").split(" ").filter(Boolean);
  }

  // Case and accents do not matter: "Turkiye" finds "Türkiye".
  function fold(value) {
    return String(value).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function terms(value) {
    return fold(value).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  // "{n} articles found" in the plural form the page's language uses for n.
  var pluralRules = new Intl.PluralRules(pageLanguage);

  function counted(n) {
    var form = pluralRules.select(n);
    var key = "textFound" + form.charAt(0).toUpperCase() + form.slice(1);
    return (texts[key] || texts.textFoundOther).replace("{n}", n.toLocaleString(pageLanguage));
  }

  // --- the full-text index (Pagefind), merged from its shards ----------------------------

  function pagefindEngine() {
    var bundles = split(texts.pagefind).map(function (path) {
      return new URL(path, document.baseURI).href;
    });
    if (!bundles.length) {
      return Promise.resolve(emptyEngine());
    }
    return import(bundles[0] + "pagefind.js").then(function (pagefind) {
      // Results come back as /articles/…; the page turns them into relative links.
      return pagefind
        .options({ baseUrl: "/", excerptLength: 24 })
        .then(function () {
          return Promise.all(
            bundles.slice(1).map(function (bundle) {
              return pagefind.mergeIndex(bundle, { baseUrl: "/" });
            })
          );
        })
        .then(function () {
          return pagefind.init();
        })
        .then(function () {
          return {
            filters: function () {
              return pagefind.filters();
            },
            search: function (query, filters) {
              return pagefind
                .search(query || null, { filters: filters, sort: query ? undefined : { date: "desc" } })
                .then(function (found) {
                  var shown = found.results.slice(0, LIMIT);
                  return Promise.all(
                    shown.map(function (result) {
                      return result.data();
                    })
                  ).then(function (data) {
                    return { total: found.results.length, items: data.map(fromPagefind) };
                  });
                });
            },
          };
        });
    });
  }

  function fromPagefind(data) {
    var meta = data.meta || {};
    return {
      url: data.url.replace(/^\//, ""),
      title: meta.title || data.url,
      date: meta.date || "",
      shownDate: meta.shown_date || meta.date || "",
      source: meta.source || "",
      lang: meta.lang || "",
      language: meta.language || "",
      snippet: excerptNodes(data.excerpt || ""),
    };
  }

  // Pagefind's excerpt is escaped text with <mark> around the hits: keep the text and the
  // marks, and nothing else, parsed where no script can run.
  function excerptNodes(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var nodes = [];
    template.content.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        nodes.push(mark);
      } else {
        nodes.push(document.createTextNode(node.textContent));
      }
    });
    return nodes;
  }

  // --- the title index, for file:// ------------------------------------------------------

  function titlesEngine() {
    var sources = split(texts.titles);
    window.newsgenTitles = window.newsgenTitles || [];
    return new Promise(function (resolve) {
      var left = sources.length;
      if (!left) {
        resolve();
      }
      sources.forEach(function (src) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = script.onerror = function () {
          left -= 1;
          if (left === 0) {
            resolve();
          }
        };
        document.head.appendChild(script);
      });
    }).then(function () {
      var records = window.newsgenTitles.map(function (record) {
        record.words = " " + terms(record.title + " " + record.summary).join(" ");
        return record;
      });
      records.sort(function (a, b) {
        return a.date < b.date ? 1 : a.date > b.date ? -1 : 0;
      });
      return {
        filters: function () {
          var found = {};
          selects.forEach(function (select) {
            found[select.dataset.filter] = {};
          });
          records.forEach(function (record) {
            Object.keys(found).forEach(function (name) {
              valuesOf(record, name).forEach(function (value) {
                found[name][value] = (found[name][value] || 0) + 1;
              });
            });
          });
          return Promise.resolve(found);
        },
        search: function (query, filters) {
          var wanted = terms(query);
          // Only marks or symbols ("🚀", "?!"): words to find, none a title holds. An
          // empty query with a filter still lists what the filter keeps.
          var unfindable = wanted.length === 0 && query.trim() !== "";
          var hits = records.filter(function (record) {
            if (unfindable) return false;
            return (
              wanted.every(function (term) {
                return record.words.indexOf(" " + term) >= 0;
              }) &&
              Object.keys(filters).every(function (name) {
                return valuesOf(record, name).indexOf(filters[name]) >= 0;
              })
            );
          });
          return Promise.resolve({
            total: hits.length,
            items: hits.slice(0, LIMIT).map(function (record) {
              return {
                url: record.url,
                title: record.title,
                date: record.date,
                shownDate: record.shown_date,
                source: record.source,
                lang: record.lang,
                language: record.language,
                snippet: marked(record.summary, wanted),
              };
            }),
          });
        },
      };
    });
  }

  function valuesOf(record, name) {
    var names = { country: "countries", topic: "topics" };
    var value = record[names[name] || name];
    return Array.isArray(value) ? value : value ? [value] : [];
  }

  // The summary with each word that a query term begins marked.
  function marked(text, wanted) {
    var nodes = [];
    String(text)
      .split(/([\p{L}\p{N}]+)/u)
      .forEach(function (part) {
        var word = fold(part);
        var hit =
          word &&
          wanted.some(function (term) {
            return word.indexOf(term) === 0;
          });
        if (hit) {
          var mark = document.createElement("mark");
          mark.textContent = part;
          nodes.push(mark);
        } else if (part) {
          nodes.push(document.createTextNode(part));
        }
      });
    return nodes;
  }

  function emptyEngine() {
    return {
      filters: function () {
        return Promise.resolve({});
      },
      search: function () {
        return Promise.resolve({ total: 0, items: [] });
      },
    };
  }

  // --- the page --------------------------------------------------------------------------

  function fillFilters(engine, chosen) {
    return engine.filters().then(function (filters) {
      selects.forEach(function (select) {
        var values = Object.keys(filters[select.dataset.filter] || {});
        values.sort(function (a, b) {
          return a.localeCompare(b, pageLanguage, { numeric: true });
        });
        values.forEach(function (value) {
          var option = document.createElement("option");
          option.value = value;
          option.textContent = value;
          select.appendChild(option);
        });
        select.value = chosen.get(select.dataset.filter) || "";
      });
    });
  }

  function chosenFilters() {
    var filters = {};
    selects.forEach(function (select) {
      if (select.value) {
        filters[select.dataset.filter] = select.value;
      }
    });
    return filters;
  }

  function show(result) {
    list.replaceChildren();
    result.items.forEach(function (item) {
      var entry = document.createElement("li");
      entry.className = "entry";
      var title = document.createElement("a");
      title.className = "entry-title";
      title.href = root + item.url;
      title.textContent = item.title;
      if (item.lang && item.lang !== pageLanguage) {
        title.lang = item.lang;
      }
      var meta = document.createElement("p");
      meta.className = "entry-meta";
      var time = document.createElement("time");
      time.dateTime = item.date;
      time.textContent = item.shownDate;
      meta.append(time, " · " + item.source + (item.language ? " · " + item.language : ""));
      entry.append(title, meta);
      if (item.snippet.length) {
        var snippet = document.createElement("p");
        snippet.className = "entry-summary";
        if (item.lang && item.lang !== pageLanguage) {
          snippet.lang = item.lang;
        }
        snippet.append.apply(snippet, item.snippet);
        entry.append(snippet);
      }
      list.append(entry);
    });
  }

  var ready = null;
  var asked = 0;

  function run(engine) {
    var query = input.value.trim();
    var filters = chosenFilters();
    var params = new URLSearchParams();
    if (query) {
      params.set("q", query);
    }
    Object.keys(filters).forEach(function (name) {
      params.set(name, filters[name]);
    });
    if (location.protocol !== "file:") {
      history.replaceState(null, "", params.toString() ? "?" + params.toString() : location.pathname);
    }
    if (!query && !Object.keys(filters).length) {
      list.replaceChildren();
      statusLine.textContent = "";
      list.dataset.query = "";
      return Promise.resolve();
    }
    var ticket = ++asked;
    statusLine.textContent = texts.textLoading;
    return engine.search(query, filters).then(function (result) {
      if (ticket !== asked) {
        return; // a newer query is on its way
      }
      show(result);
      statusLine.textContent = result.total ? counted(result.total) : texts.textNone;
      list.dataset.query = query; // what the list shows now, for tests and scripts
    });
  }

  function start() {
    var fromDisk = location.protocol === "file:";
    var engine = fromDisk
      ? titlesEngine()
      : pagefindEngine().catch(function () {
          modeLine.textContent = texts.textFailed;
          modeLine.hidden = false;
          return titlesEngine();
        });
    if (fromDisk) {
      modeLine.textContent = texts.textOffline;
      modeLine.hidden = false;
    }
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    return engine.then(function (found) {
      return fillFilters(found, params).then(function () {
        box.dataset.ready = "true";
        return found;
      });
    });
  }

  ready = start();
  ready.then(function (engine) {
    var timer = 0;
    run(engine);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        run(engine);
      }, 120);
    });
    selects.forEach(function (select) {
      select.addEventListener("change", function () {
        run(engine);
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      run(engine);
    });
  });
})();
