// The only C++ in tvchat: OpenCV behind the C API of video.h. Every entry
// point catches all exceptions and reports them as -1 plus a message, so
// no exception ever crosses into C.
#include "config.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "video.h"

struct video {
	cv::VideoCapture	cap;
	cv::Mat			frame;	// the last frame read
	video_info		info;
	int64_t			next;	// index of the next frame to read
};

// Copy a message into err (VIDEO_ERR_LEN bytes) if err is not NULL.
static void
set_err(char *err, const char *what, const char *detail)
{
	if (err != NULL)
		std::snprintf(err, VIDEO_ERR_LEN, "%s%s%s", what,
		    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

// Open a video file; 0 with *out set, or -1 with err filled.
extern "C" int
video_open(const char *path, struct video **out, char *err)
{
	*out = nullptr;
	try {
		video *v = new video();

		if (!v->cap.open(path, cv::CAP_FFMPEG) || !v->cap.isOpened()) {
			delete v;
			set_err(err, "cannot open video", path);
			return -1;
		}
		v->info.fps = v->cap.get(cv::CAP_PROP_FPS);
		v->info.frames = (int64_t)v->cap.get(cv::CAP_PROP_FRAME_COUNT);
		v->info.width = (int)v->cap.get(cv::CAP_PROP_FRAME_WIDTH);
		v->info.height = (int)v->cap.get(cv::CAP_PROP_FRAME_HEIGHT);
		if (!(v->info.fps > 0 && v->info.fps < 1000))
			v->info.fps = 25;
		if (v->info.frames < 0)
			v->info.frames = 0;
		v->info.duration = (double)v->info.frames / v->info.fps;
		if (v->info.width <= 0 || v->info.height <= 0) {
			delete v;
			set_err(err, "no video stream", path);
			return -1;
		}
		v->next = 0;
		*out = v;
		return 0;
	} catch (const std::exception &e) {
		set_err(err, "opencv", e.what());
	} catch (...) {
		set_err(err, "opencv", "unknown exception");
	}
	return -1;
}

// Close a video (NULL is fine).
extern "C" void
video_close(struct video *v)
{
	try {
		delete v;
	} catch (...) {
		// Nothing sensible to do while closing.
	}
}

// Copy the video's properties.
extern "C" void
video_get_info(const struct video *v, struct video_info *info)
{
	*info = v->info;
}

// Make frame index the next one read; 0 or -1.
extern "C" int
video_seek(struct video *v, int64_t frame, char *err)
{
	try {
		if (frame < 0)
			frame = 0;
		if (!v->cap.set(cv::CAP_PROP_POS_FRAMES, (double)frame)) {
			set_err(err, "cannot seek", nullptr);
			return -1;
		}
		v->next = frame;
		return 0;
	} catch (const std::exception &e) {
		set_err(err, "opencv", e.what());
	} catch (...) {
		set_err(err, "opencv", "unknown exception");
	}
	return -1;
}

// Decode the next frame; 1 if there is one, 0 at the end, -1 on error.
extern "C" int
video_read(struct video *v, char *err)
{
	try {
		if (!v->cap.read(v->frame) || v->frame.empty())
			return 0;
		v->next++;
		return 1;
	} catch (const std::exception &e) {
		set_err(err, "opencv", e.what());
	} catch (...) {
		set_err(err, "opencv", "unknown exception");
	}
	return -1;
}

// Skip n frames without decoding them; 1, 0 at the end, or -1.
extern "C" int
video_skip(struct video *v, int n, char *err)
{
	try {
		for (int i = 0; i < n; i++) {
			if (!v->cap.grab())
				return 0;
			v->next++;
		}
		return 1;
	} catch (const std::exception &e) {
		set_err(err, "opencv", e.what());
	} catch (...) {
		set_err(err, "opencv", "unknown exception");
	}
	return -1;
}

// Index of the next frame read.
extern "C" int64_t
video_position(const struct video *v)
{
	return v->next;
}

// Scale the last frame read to w x h and encode it as JPEG at quality;
// *out is malloc'd. 0 or -1.
extern "C" int
video_encode_jpeg(struct video *v, int w, int h, int quality, uint8_t **out,
    size_t *len, char *err)
{
	*out = nullptr;
	try {
		cv::Mat			 scaled;
		std::vector<uchar>	 jpeg;
		const cv::Mat		*src = &v->frame;

		if (v->frame.empty()) {
			set_err(err, "no frame to encode", nullptr);
			return -1;
		}
		if (w != v->frame.cols || h != v->frame.rows) {
			// INTER_LINEAR: 0.13 ms for 1440p, INTER_AREA 5.8 ms.
			cv::resize(v->frame, scaled, cv::Size(w, h), 0, 0,
			    cv::INTER_LINEAR);
			src = &scaled;
		}
		if (!cv::imencode(".jpg", *src, jpeg,
		    { cv::IMWRITE_JPEG_QUALITY, quality })) {
			set_err(err, "cannot encode JPEG", nullptr);
			return -1;
		}
		*out = (uint8_t *)std::malloc(jpeg.size());
		if (*out == nullptr)
			throw std::bad_alloc();
		std::memcpy(*out, jpeg.data(), jpeg.size());
		*len = jpeg.size();
		return 0;
	} catch (const std::exception &e) {
		set_err(err, "opencv", e.what());
	} catch (...) {
		set_err(err, "opencv", "unknown exception");
	}
	return -1;
}

// Copy a BGR Mat into a malloc'd video_image.
static void
to_image(const cv::Mat &m, struct video_image *img)
{
	cv::Mat	c = m.isContinuous() ? m : m.clone();

	img->width = c.cols;
	img->height = c.rows;
	img->bgr = (uint8_t *)std::malloc((size_t)c.cols * c.rows * 3);
	if (img->bgr == nullptr)
		throw std::bad_alloc();
	std::memcpy(img->bgr, c.data, (size_t)c.cols * c.rows * 3);
}

// Decode a JPEG, reduced 1, 2, 4 or 8 times in each direction while
// decoding (cheap); 0 with *img filled, or -1.
extern "C" int
video_decode_jpeg(const uint8_t *p, size_t len, int reduce,
    struct video_image *img, char *err)
{
	img->bgr = nullptr;
	try {
		int flag = cv::IMREAD_COLOR;

		if (reduce >= 8)
			flag = cv::IMREAD_REDUCED_COLOR_8;
		else if (reduce >= 4)
			flag = cv::IMREAD_REDUCED_COLOR_4;
		else if (reduce >= 2)
			flag = cv::IMREAD_REDUCED_COLOR_2;
		if (len == 0 || len > (size_t)INT32_MAX) {
			set_err(err, "bad JPEG size", nullptr);
			return -1;
		}
		cv::Mat buf(1, (int)len, CV_8UC1, (void *)p);
		cv::Mat m = cv::imdecode(buf, flag);

		if (m.empty() || m.type() != CV_8UC3) {
			set_err(err, "cannot decode JPEG", nullptr);
			return -1;
		}
		to_image(m, img);
		return 0;
	} catch (const std::exception &e) {
		set_err(err, "opencv", e.what());
	} catch (...) {
		set_err(err, "opencv", "unknown exception");
	}
	return -1;
}

// Scale an image to w x h into *out (new); 0 or -1.
extern "C" int
video_image_scale(const struct video_image *in, int w, int h,
    struct video_image *out, char *err)
{
	out->bgr = nullptr;
	try {
		cv::Mat src(in->height, in->width, CV_8UC3, in->bgr), dst;

		cv::resize(src, dst, cv::Size(w, h), 0, 0,
		    w < in->width ? cv::INTER_AREA : cv::INTER_LINEAR);
		to_image(dst, out);
		return 0;
	} catch (const std::exception &e) {
		set_err(err, "opencv", e.what());
	} catch (...) {
		set_err(err, "opencv", "unknown exception");
	}
	return -1;
}

// Free an image's pixels.
extern "C" void
video_image_free(struct video_image *img)
{
	std::free(img->bgr);
	img->bgr = nullptr;
}
