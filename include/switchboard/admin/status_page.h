// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace switchboard {

// The status page of SPEC §11: src/admin/status_page.html, compiled in at build time.
std::string_view statusPageHtml();

// The Content-Security-Policy the page is served with: nothing from outside the admin port,
// fetch() to the port itself only, and of inline code exactly the page's one <style> and one
// <script>, allowed by their SHA-256 (so an injected script would not run even if the page
// ever rendered API data as markup).
const std::string& statusPagePolicy();

// The 'sha256-<base64>' source expression of a CSP that allows an inline block of this text.
std::string cspHashSource(std::string_view text);

// The text between the first `<tag>` and its `</tag>` in `html`; "" when there is none.
std::string_view inlineBlock(std::string_view html, std::string_view tag);

}  // namespace switchboard
