// Desk case page: choosing a ready reply fills the reply box, unless the coordinator has
// already written something of their own there.
document.querySelectorAll("select.reply-template").forEach(function (select) {
  var box = document.getElementById(select.dataset.target), filled = "";
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex], text = option.dataset.text || "";
    if (text && (!box.value.trim() || box.value === filled)) { box.value = text; filled = text; }
  });
});
