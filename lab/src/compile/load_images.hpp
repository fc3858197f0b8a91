#pragma once
/// The `images:` section of a topology, read into `RawImage`s (private to load.cpp): a mapping
/// of image names to `{from, packages, files, run, size}`, shape only; resolve_images.hpp
/// checks the values.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/model/raw_topology.hpp"
#include "umlab/lab/yaml/document.hpp"

#include <vector>

namespace umlab::lab {

/// Reads `section` (the value of `images:`; a null one has no images) into `images`, reporting
/// unknown keys and wrong shapes.
void readRawImages(const yaml::Document& doc, const yaml::Node& section, Diagnostics& diags,
                   std::vector<RawImage>& images);

} // namespace umlab::lab
