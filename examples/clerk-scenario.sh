#!/usr/bin/env bash
# The accounting side of the demo, from the shell alone, against a running sandbox:
#   create an order by POST with our own Ref_Key, post it, pay 40 % by bank, the rest in cash,
#   ship it, and read the balances back in 1C's JSON shape after each step.
# Usage: examples/clerk-scenario.sh [BASE_URL]   (needs curl, jq, python3 and tui-crm on PATH)
# Start a sandbox first, e.g.:  tui-crm sandbox serve --memory --port 8765
set -euo pipefail
B=${1:-http://127.0.0.1:8765/demo/odata/standard.odata/}
B=${B%/}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
get() {  # get ENTITY [NAME=VALUE ...]: spaces go as %20 (1C reads '+' as a plus sign)
  local entity=$1; shift
  local query
  query=$(python3 -c 'import sys, urllib.parse as u
print(u.urlencode([tuple(a.split("=", 1)) for a in ["$format=json", *sys.argv[1:]]], quote_via=u.quote))' "$@")
  curl -sf "$B/$(enc "$entity")?$query"
}
clerk() { tui-crm sandbox "$1" --url "$B/" "${@:2}"; }

org=$(get Catalog_Организации '$select=Ref_Key' | jq -r '.value[0].Ref_Key')
read -r cp contract < <(get Catalog_Контрагенты '$top=1' \
  '$filter=IsFolder eq false' \
  '$select=Ref_Key,ОсновнойДоговорКонтрагента_Key' |
  jq -r '.value[0] | "\(.Ref_Key) \(.["ОсновнойДоговорКонтрагента_Key"])"')
wh=$(get Catalog_Склады "\$filter=Description eq 'Основной склад'" | jq -r '.value[0].Ref_Key')
rub=$(get Catalog_Валюты '$select=Ref_Key' | jq -r '.value[0].Ref_Key')
# a product with at least 3 in stock on that warehouse
read -r product qty < <(get "AccumulationRegister_ТоварыНаСкладах/Balance" \
  "Condition=Склад_Key eq guid'$wh'" |
  jq -r '[.value[] | select(.["КоличествоBalance"] >= 3)][0] | "\(.["Номенклатура_Key"]) \(.["КоличествоBalance"])"')
unit=$(curl -sf "$B/$(enc "Catalog_Номенклатура(guid'$product')")?\$format=json" | jq -r '.["ЕдиницаХраненияОстатков_Key"]')
echo "stock before: $qty"

key=$(python3 -c 'import uuid; print(uuid.uuid4())')
order=$(jq -n --arg key "$key" --arg org "$org" --arg cp "$cp" --arg contract "$contract" --arg wh "$wh" \
  --arg rub "$rub" --arg product "$product" --arg unit "$unit" '{
    Ref_Key: $key, "Организация_Key": $org, "Контрагент_Key": $cp, "ДоговорКонтрагента_Key": $contract,
    "ВалютаДокумента_Key": $rub, "СкладГруппа": $wh, "СкладГруппа_Type": "StandardODATA.Catalog_Склады",
    "СуммаВключаетНДС": true, "СуммаДокумента": 1000,
    "Товары": [{LineNumber: "1", "Номенклатура_Key": $product, "ЕдиницаИзмерения_Key": $unit,
               "Коэффициент": 1, "Количество": 2, "Цена": 500, "Сумма": 1000, "СтавкаНДС": "НДС20"}]}')
number=$(curl -sf -X POST "$B/$(enc Document_ЗаказПокупателя)?\$format=json" \
  -H 'Content-Type: application/json' --data "$order" | jq -r .Number)
echo "order $number created with our Ref_Key $key"

clerk post "$number"
get "AccumulationRegister_ТоварыВРезервеНаСкладах/Balance" \
  "Condition=Номенклатура_Key eq guid'$product'" | jq -c '.value'
clerk pay "$number" --amount 400.00            # 40 % by bank
clerk pay "$number" --amount 600.00 --cash     # the rest in cash
clerk ship "$number"
get "AccumulationRegister_ТоварыНаСкладах/Balance" \
  "Condition=Склад_Key eq guid'$wh' and Номенклатура_Key eq guid'$product'" |
  jq -r '"stock after: \(.value[0]["КоличествоBalance"])"'
clerk orders | grep -E "^(Номер|$number)" || clerk orders
