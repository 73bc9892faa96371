//! The only inline CSS and JavaScript the pages contain, as constants.
//!
//! They are constant on purpose: the Content-Security-Policy allows them by their SHA-256
//! hash (see `csp`), so a page can carry no other script or style, and per-link values
//! reach the script only through the JSON data block and the link elements' `href`s.

/// Shared by the interstitial and the error pages.
pub const STYLE: &str = "\
:root{color-scheme:light dark;font-family:system-ui,-apple-system,sans-serif}\
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center}\
main{max-width:26rem;padding:2rem 1.5rem;text-align:center}\
h1{font-size:1.35rem;margin:0 0 .75rem;overflow-wrap:anywhere}\
p{margin:0 0 1.25rem;line-height:1.45;opacity:.8}\
a{display:block;margin:.75rem 0;overflow-wrap:anywhere}\
.btn{padding:.9rem 1rem;border-radius:.6rem;background:#1769ff;color:#fff;\
font-weight:600;text-decoration:none}\
.hint{font-size:.85rem}";

/// The interstitial's behaviour, reading its settings from `#d` and its targets from the
/// `#open`, `#app`, `#fallback` and `#after` links.
///
/// With `auto`, it navigates to the deep link (`#app`, else the button's own) at once and,
/// unless the page becomes hidden (the app opened), replaces itself with the fallback after
/// `delay` ms; `replace` keeps the back button from re-entering the interstitial. Without
/// `auto` (in-app browsers that block scheme navigation) the person taps the button. A
/// script cannot open a Universal Link, so when the button is one, `#app` holds the scheme.
///
/// Once the app was tried (the automatic attempt or the button), the page being hidden
/// means the app came up; when it shows again, the person is back and goes on to
/// `#after`. Browsers differ in which of `visibilitychange` and `pagehide`/`pageshow`
/// they fire when another app comes to the front, so both pairs count. The page leaving
/// for its fallback (the timer or the link) is not a trip to the app, so a return with the
/// back button stays here.
pub const SCRIPT: &str = "\
(function(){\
function g(i){return document.getElementById(i);}\
var d=JSON.parse(g('d').textContent),o=g('open'),f=g('fallback'),a=g('after'),\
t=0,tried=0,gone=0,away=0;\
function hide(){clearTimeout(t);away=tried&&!gone;}\
function back(){if(away&&a){away=0;gone=1;location.replace(a.href);}}\
document.addEventListener('visibilitychange',function(){document.hidden?hide():back();});\
addEventListener('pagehide',hide);\
addEventListener('pageshow',function(e){e.persisted&&back();});\
if(f)f.onclick=function(){gone=1;};\
if(!o)return;\
o.onclick=function(){tried=1;};\
if(!d.auto)return;\
if(f)t=setTimeout(function(){if(!document.hidden){gone=1;location.replace(f.href);}},d.delay);\
tried=1;\
location.href=(g('app')||o).href;\
})();";

/// The device check's behaviour: an iPad reports touch points, a Mac none, so it goes on
/// to the `#ipad` or the `#mac` link; `replace` keeps the check out of the history.
pub const DEVICE_SCRIPT: &str = "\
(function(){\
var a=document.getElementById(navigator.maxTouchPoints>1?'ipad':'mac');\
if(a){location.replace(a.href);}\
})();";
