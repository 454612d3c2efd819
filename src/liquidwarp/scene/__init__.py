"""The scene a method renders: source photos with their fitted bodies (:mod:`.views`), a target
body seen by the output camera with each source's flow into it, the texture that colours what no
source sees (:mod:`.texture`), and from these the generator's inputs (:mod:`.inputs`), made by
one function for training, personalisation and inference alike."""
