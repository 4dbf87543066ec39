// The support chat widget loader: `mountSupportWidget({chainlitServer, customerToken})`
// (or `accessToken`: a chat token minted with the chat's own secret).
//
// Chainlit's widget asks the server who the customer is (GET /user) in the same instant as it
// signs in with the access token (POST /auth/jwt). The first answer is therefore "nobody"; the
// widget opens anyway, and the real answer (with the chat's settings) lands seconds later, when
// SWR revalidates, and re-renders the open chat with other hooks: React error #310, the
// customer's message lost. Signing in before the widget starts makes its first /user answer
// the customer, so the widget has everything it needs before the input appears.
(function () {
  "use strict";

  function loadBundle(server) {
    if (window.mountChainlitWidget) {
      return Promise.resolve();
    }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = server + "/copilot/index.js";
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("the chat widget could not be loaded")); };
      document.head.appendChild(script);
    });
  }

  function signIn(server, accessToken) {
    return fetch(server + "/auth/jwt", {
      method: "POST",
      credentials: "include",
      headers: { Authorization: "Bearer " + accessToken },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("the chat sign-in was refused (" + response.status + ")");
      }
    });
  }

  // A site's signed customer token (customerToken, made by its backend) is exchanged for the
  // chat's access token; a token the chat does not accept gets an anonymous one.
  function accessTokenFor(server, config) {
    if (!config.customerToken) {
      return Promise.resolve(config.accessToken);
    }
    return fetch(server + "/auth/customer", {
      method: "POST",
      credentials: "include",
      headers: { Authorization: "Bearer " + config.customerToken },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("the chat sign-in was refused (" + response.status + ")");
      }
      return response.json();
    }).then(function (body) { return body.accessToken; });
  }

  window.mountSupportWidget = function (config) {
    var server = String(config.chainlitServer).replace(/\/+$/, "");
    var signedIn = accessTokenFor(server, config).then(function (accessToken) {
      return signIn(server, accessToken).then(function () { return accessToken; });
    });
    return Promise.all([loadBundle(server), signedIn]).then(function (results) {
      var options = Object.assign({}, config, { accessToken: results[1] });
      delete options.customerToken;
      window.mountChainlitWidget(options);
    });
  };
})();
