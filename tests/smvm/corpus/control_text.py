# args: ["the quick brown fox jumps over the lazy dog the end"]
# control: plain text processing, no migration.


def main(text):
    words = text.split()
    freq = {}
    for w in words:
        freq[w] = freq.get(w, 0) + 1
    ranked = sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))
    caps = " ".join([w.capitalize() for w in words if len(w) > 3])
    letters = sorted(set(text) - {" "})
    table = {c: text.count(c) for c in "aeiou"}
    widths = [f"{w:<6}|" for w in words[:3]]
    longest = max(len(w) for w in words)
    return ranked[:3], caps, "".join(letters), table, widths, len(text), longest, node_id()
