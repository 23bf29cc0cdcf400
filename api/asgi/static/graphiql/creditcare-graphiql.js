// creditcare's GraphiQL page (api/asgi/graphiql.py serves it, development only).
//
// The Authorization header comes from GraphiQL's headers editor and goes with every request,
// the schema introspection included:
// - the editor's contents are kept in this browser (localStorage, GraphiQL's "persist headers"),
//   so a reload introspects with the token at once;
// - the last Authorization typed is also what a new tab's headers editor starts with;
// - when the Authorization in the editor changes, the schema is fetched again with it, so pasting
//   a token is enough: no "Re-fetch GraphQL schema" needed after the first visit's 401.
// No `?token=` in the URL: a token there ends up in the browser history and the access logs.
(function () {
  "use strict";

  // The last Authorization value typed in a headers editor (GraphiQL's own keys are "graphiql:*").
  var AUTHORIZATION_KEY = "creditcare:graphiql:authorization";
  var GRAPHIQL_HEADERS_KEY = "graphiql:headers";
  var PLACEHOLDER = "Bearer ";
  var DEFAULT_QUERY = [
    "# creditcare GraphiQL (development only).",
    "#",
    "# Put a token in the Headers tab below, as {\"Authorization\": \"Bearer <token>\"}:",
    "#   creditcare token --sub alice --role developer",
    "# The schema loads as soon as the token is there (developers and administrators may",
    "# introspect). The headers are kept in this browser. Run a query with Ctrl-Enter.",
    "",
    "{",
    "  me {",
    "    subject",
    "    roles { name }",
    "    mayIntrospect",
    "  }",
    "}",
    "",
  ].join("\n");

  function read(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (error) {
      return null; // storage disabled: nothing is kept, the editor still works
    }
  }

  function write(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (error) {
      // storage disabled or full: the token is simply not remembered
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      // storage disabled: nothing was kept
    }
  }

  // The Authorization value of a headers editor's text: "" when there is none, null when the text
  // is not a JSON object (being typed).
  function authorizationIn(text) {
    if (!text || !text.trim()) {
      return "";
    }
    var headers;
    try {
      headers = JSON.parse(text);
    } catch (error) {
      return null;
    }
    if (!headers || typeof headers !== "object" || Array.isArray(headers)) {
      return null;
    }
    for (var name in headers) {
      if (name.toLowerCase() === "authorization" && typeof headers[name] === "string") {
        return headers[name];
      }
    }
    return "";
  }

  var url = window.location.href.split(/[?#]/)[0];
  var remembered = read(AUTHORIZATION_KEY) || "";

  // The headers a new tab starts with.
  function headersWith(authorization) {
    return JSON.stringify({ Authorization: authorization || PLACEHOLDER }, null, 2);
  }

  // What GraphiQL's first introspection sends: its persisted headers, else the default ones.
  var initialHeaders = read(GRAPHIQL_HEADERS_KEY);
  var initialAuthorization = authorizationIn(initialHeaders === null ? headersWith(remembered) : initialHeaders);

  function newFetcher() {
    // GraphiQL's fetcher adds the editor's headers to each request (queries and introspection).
    return GraphiQL.createFetcher({ url: url });
  }

  function CreditcareGraphiQL() {
    var fetcherState = React.useState(newFetcher);
    var fetcher = fetcherState[0];
    var setFetcher = fetcherState[1];
    var defaultsState = React.useState(function () {
      return headersWith(remembered);
    });
    var defaultHeaders = defaultsState[0];
    var setDefaultHeaders = defaultsState[1];
    var used = React.useRef(initialAuthorization);
    var timer = React.useRef(null);

    function onEditHeaders(text) {
      window.clearTimeout(timer.current);
      // Wait for a pause in typing: one introspection per token, not one per keystroke.
      timer.current = window.setTimeout(function () {
        var authorization = authorizationIn(text);
        if (authorization === null || authorization === used.current) {
          return;
        }
        used.current = authorization;
        // Cleared in the editor, forgotten here too: new tabs start without it.
        if (authorization && authorization !== PLACEHOLDER) {
          write(AUTHORIZATION_KEY, authorization);
        } else {
          forget(AUTHORIZATION_KEY);
        }
        setDefaultHeaders(headersWith(authorization));
        // A new fetcher makes GraphiQL introspect again, with the headers now in the editor.
        setFetcher(function () {
          return newFetcher();
        });
      }, 400);
    }

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: defaultHeaders,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      onEditHeaders: onEditHeaders,
      // The headers tab is open until a token has been given once.
      defaultEditorToolsVisibility: remembered ? true : "headers",
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(CreditcareGraphiQL));
})();
