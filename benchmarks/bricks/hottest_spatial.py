from spatial.sp import circle, SpatialTimeout


def main(center, radius):
    hill = circle(center, radius)
    max_temp, max_id = None, -1
    for i in range(100000):
        try:
            t = {hill: Hot[i, 60.0]}.temp
        except SpatialTimeout:
            break
        if max_temp is None or t > max_temp:
            max_temp, max_id = t, i
    {hill: Hot[max_id]}.water = True
    return [max_temp, node_id()]
