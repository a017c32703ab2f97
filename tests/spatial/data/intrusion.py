from spatial.sp import rect, range_of, SpatialTimeout

Field = rect([0.0, 0.0], [720.0, 720.0])


def main():
    try:
        where = {Field: Motion[0, 20.0]}.position   # the node that sensed motion
    except SpatialTimeout:
        return "all quiet"
    near = range_of({Field: Motion[0]}, 120.0)       # 120 m around it
    picture = {near: Camera[0]}.snapshot            # a camera there takes a picture
    {near: Camera[0]}.alarm = True                  # and sounds its siren
    return [where, picture, node_id()]
