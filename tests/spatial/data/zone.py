from spatial.sp import rect, SpatialTimeout

Zone = rect([50.0, -10.0], [250.0, 10.0])


def main():
    found = []
    for i in range(10):
        try:
            found.append([{Zone: Hot[i, 5.0]}.temp, node_id()])
        except SpatialTimeout:
            break
    {Zone: Hot[0]}.water = True
    return [sorted(found), node_id(), read_tag("water")]
