// The popup window's OpenCV highgui side, for tvchat-viewer only (so the
// server and the client never load a GUI toolkit). As in video_cv.cpp,
// every exception is caught at the C boundary.
#include "config.h"

#include <cstdio>
#include <exception>

#include <opencv2/core.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgcodecs.hpp>

#include "window.h"

static const char	*window_name = "tvchat";
static int		 window_opened;

// Open the window titled title; 0 or -1.
extern "C" int
window_open(const char *title)
{
	try {
		window_name = title;
		// No Qt toolbar or status bar: just the picture.
		cv::namedWindow(window_name, cv::WINDOW_NORMAL |
		    cv::WINDOW_KEEPRATIO | cv::WINDOW_GUI_NORMAL);
		cv::resizeWindow(window_name, 854, 480);
		window_opened = 1;
		return 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "tvchat-viewer: %s\n", e.what());
	} catch (...) {
	}
	return -1;
}

// Show a JPEG; 0, or -1 if it cannot be decoded or shown.
extern "C" int
window_show(const uint8_t *jpeg, size_t len)
{
	try {
		cv::Mat buf(1, (int)len, CV_8UC1, (void *)jpeg);
		cv::Mat img = cv::imdecode(buf, cv::IMREAD_COLOR);

		if (img.empty())
			return -1;
		cv::imshow(window_name, img);
		return 0;
	} catch (...) {
	}
	return -1;
}

// Handle window events for up to ms milliseconds. Returns 1 while the
// window is open, 0 once the user closed it (or pressed q or Escape).
extern "C" int
window_poll(int ms)
{
	try {
		int key = cv::waitKey(ms < 1 ? 1 : ms);

		if (key == 'q' || key == 27)
			return 0;
		if (cv::getWindowProperty(window_name,
		    cv::WND_PROP_VISIBLE) < 1)
			return 0;
		return 1;
	} catch (...) {
	}
	return 0;
}

// Close the window.
extern "C" void
window_close(void)
{
	try {
		if (window_opened)
			cv::destroyAllWindows();
	} catch (...) {
	}
}
