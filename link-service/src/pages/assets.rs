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
/// `#open`, `#fallback` and `#after` links.
///
/// With `auto`, it navigates to the deep link at once and, unless the page becomes hidden
/// (the app opened), replaces itself with the fallback after `delay` ms; `replace` keeps
/// the back button from re-entering the interstitial. Without `auto` (in-app browsers that
/// block scheme navigation) the person taps the button.
///
/// Once the app was tried (the automatic attempt or the button), the page being hidden
/// means the app came up; when it shows again, the person is back and goes on to
/// `#after`. Leaving the page (`pagehide`: the fallback, a link) is not coming back from
/// the app, so a return through the back button stays here.
pub const SCRIPT: &str = "\
(function(){\
var d=JSON.parse(document.getElementById('d').textContent);\
var open=document.getElementById('open');\
var fallback=document.getElementById('fallback');\
var after=document.getElementById('after');\
var timer=0,tried=false,away=false;\
function stop(){clearTimeout(timer);}\
document.addEventListener('visibilitychange',function(){\
if(document.hidden){stop();away=tried;}\
else if(away&&after){away=false;location.replace(after.href);}});\
window.addEventListener('pagehide',function(){stop();away=false;});\
if(!open){return;}\
open.addEventListener('click',function(){tried=true;});\
if(!d.auto){return;}\
if(fallback){timer=setTimeout(function(){\
if(!document.hidden){location.replace(fallback.href);}},d.delay);}\
tried=true;\
location.href=open.href;\
})();";

/// The device check's behaviour: an iPad reports touch points, a Mac none, so it goes on
/// to the `#ipad` or the `#mac` link; `replace` keeps the check out of the history.
pub const DEVICE_SCRIPT: &str = "\
(function(){\
var a=document.getElementById(navigator.maxTouchPoints>1?'ipad':'mac');\
if(a){location.replace(a.href);}\
})();";
